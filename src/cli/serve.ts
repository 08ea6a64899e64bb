import { serve } from '../serve.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--config FILE] [--data DIR]',
  summary: 'runs every listener until SIGTERM (what npm start runs)',
  args: [0, 0],
  async run(inv) {
    return serve(inv.config());
  },
};
