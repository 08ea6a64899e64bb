import type { Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--config FILE] [--data DIR]',
  summary: 'runs every listener until SIGTERM (what npm start runs)',
  args: [0, 0],
  async run(inv) {
    // Loaded here, not at the top: every other command starts faster without the server's modules.
    const { serve } = await import('../serve.js');
    return serve(inv.config());
  },
};
