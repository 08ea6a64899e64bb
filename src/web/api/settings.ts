/** GET/PUT /api/settings: the personal address the generic notifications go to. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { body } from '../input.js';

const Settings = z.object({ personalEmail: z.union([z.null(), z.literal(''), z.string().trim().max(254).pipe(z.email())]) });

export function settingsRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx;
  api.get('/settings', async (request) => ({ personalEmail: request.account!.mailbox.personalEmail }));
  api.put('/settings', async (request) => {
    const { personalEmail } = body(Settings, request, 'Adresse électronique invalide : vérifiez-la (exemple : prenom.nom@exemple.fr).');
    const address = request.account!.mailbox.address;
    const value = personalEmail ? personalEmail.toLowerCase() : null;
    await store.mailboxes.setPersonalEmail(address, value);
    await store.audit.record({ actor: address, action: 'settings.personal-email', mailbox: address, target: null, outcome: value ? 'set' : 'removed' });
    return { personalEmail: value };
  });
}
