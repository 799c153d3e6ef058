/**
 * Child process for the lock tests: opens the embedded store in the home given as argv[2], prints one JSON
 * line (`{ok: true}` or the StrataError), then holds the store open until stdin closes when argv[3] is `hold`.
 */
import { isStrataError } from '../../../src/core/errors.ts';
import { openStore } from '../../../src/store/open.ts';

const home = process.argv[2]!;
const hold = process.argv[3] === 'hold';
try {
  const store = await openStore({ home, databaseUrl: null });
  console.log(JSON.stringify({ ok: true, pid: process.pid }));
  if (hold) {
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on('end', resolve));
  }
  await store.close();
} catch (error) {
  console.log(
    JSON.stringify(
      isStrataError(error) ? { ok: false, ...error.toJSON() } : { ok: false, message: String(error) },
    ),
  );
  process.exitCode = 1;
}
