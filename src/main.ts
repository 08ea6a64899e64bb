/** The process entry point: runs the CLI and exits with its code. */
import { main } from './cli.js';

// Exit explicitly: a stopped server must not linger on a forgotten timer or socket.
process.exit(await main(process.argv.slice(2)));
