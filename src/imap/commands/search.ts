/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4), with RETURN options answered by ESEARCH (RFC 4731)
 * and the MODSEQ key (RFC 7162 §3.1.5). The program is read by search/criteria.ts and run over
 * the session's own numbering by search/evaluate.ts; this file only ties them to the session.
 */
import type { CommandSpec } from '../command.js';
import { bad, no, ok } from '../command.js';
import { parseSearch, SearchCharsetError, SearchSyntaxError, SEARCH_CHARSETS } from '../search/criteria.js';
import { runSearch } from '../search/evaluate.js';
import type { SearchProgram } from '../search/program.js';
import { esearchResponse, searchResponse } from '../search/results.js';

export const search: CommandSpec = {
  name: 'SEARCH',
  states: ['selected'],
  uid: true,
  async handle(ctx, command) {
    const { session, services } = ctx;
    const selected = session.selected;
    const user = session.user;
    if (!selected || !user) return bad('Sélectionnez un dossier d\'abord / Select a mailbox first');
    let program: SearchProgram;
    try {
      program = parseSearch(command.args);
    } catch (err) {
      if (err instanceof SearchCharsetError) return no(err.message, `BADCHARSET (${SEARCH_CHARSETS.join(' ')})`);
      if (err instanceof SearchSyntaxError) return bad(err.message);
      throw err;
    }
    if (program.returns?.save) {
      return bad("RETURN (SAVE) : SEARCHRES n'est pas proposé par ce serveur / RETURN (SAVE): SEARCHRES is not offered by this server");
    }
    // RFC 7162 §3.1: MODSEQ in a search turns CONDSTORE on (SELECT already told HIGHESTMODSEQ).
    if (program.usesModseq) session.condstore = true;

    const uids: number[] = new Array(selected.exists);
    for (let seq = 1; seq <= selected.exists; seq++) uids[seq - 1] = selected.uidAt(seq)!;
    const hits = await runSearch(program, {
      mailboxId: user.mailboxId,
      folderId: selected.folder.id,
      uids,
      isRecent: (uid) => selected.isRecent(uid),
      messages: services.store.messages,
      blobs: services.blobs,
    });
    ctx.untagged(...(program.returns ? esearchResponse(ctx.tag, hits, program, command.uid) : searchResponse(hits, program, command.uid)));
    return ok(`${command.uid ? 'UID ' : ''}SEARCH terminé / ${command.uid ? 'UID ' : ''}SEARCH completed`);
  },
};
