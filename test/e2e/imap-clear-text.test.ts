/**
 * imap.clearTextLoginFrom (Dovecot's login_trusted_networks): the listed clients may log in on
 * the plain port without STARTTLS; every other client still sees LOGINDISABLED and gets
 * PRIVACYREQUIRED. The gateway says so at start-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawImap } from '../helpers/raw-imap.js';
import { DOCTOR, PASSWORD, startWorld, type World } from '../helpers/world.js';

const TRUSTED = '127.0.0.7';

describe('IMAP logins in clear text from a listed client only', () => {
  let world: World;
  const open: RawImap[] = [];
  const connect = async (localAddress: string) => {
    const raw = await RawImap.connect({ port: world.server.ports.imap, localAddress });
    open.push(raw);
    return raw;
  };

  beforeAll(async () => {
    world = await startWorld({ imap: { clearTextLoginFrom: [`${TRUSTED}/32`] } });
  });
  afterAll(async () => {
    for (const raw of open) raw.close();
    await world?.stop();
  });

  it('logs the opt-out at start-up', () => {
    expect(world.server.logs()).toMatch(/OPT-OUT: these clients may log in to IMAP without TLS/);
  });

  it('lets the listed client log in without TLS, still offering STARTTLS', async () => {
    const raw = await connect(TRUSTED);
    const greeting = await raw.line();
    expect(greeting).toMatch(/ STARTTLS /);
    expect(greeting).not.toMatch(/LOGINDISABLED/);
    expect(greeting).toMatch(/ AUTH=PLAIN/);
    expect((await raw.command('a', `LOGIN ${DOCTOR} "${PASSWORD}"`)).at(-1)).toMatch(/^a OK /);
    expect((await raw.command('b', 'SELECT INBOX')).at(-1)).toMatch(/^b OK \[READ-WRITE\]/);
  });

  it('keeps every other client behind TLS', async () => {
    const raw = await connect('127.0.0.8');
    expect(await raw.line()).toMatch(/STARTTLS LOGINDISABLED\]/);
    expect((await raw.command('a', `LOGIN ${DOCTOR} "${PASSWORD}"`)).at(-1)).toMatch(/^a NO \[PRIVACYREQUIRED\]/);
  });
});
