/** Entry point of the `strata` command (`bin/strata.js` imports this). */
import { runCli } from './program.ts';

const code = await runCli(process.argv.slice(2));
// Exit explicitly: idle keep-alive sockets of fetch must not hold a finished command open.
process.exit(code);
