/** Asking a person before a change: y/N on a terminal; refused outright when nobody is there to answer. */
import { StrataError } from '../core/errors.ts';

/**
 * Returns true when the user answers yes. Throws `BadRequest` when stdin is not a terminal: a script must
 * say `--yes` rather than have a change applied because no one could object.
 */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new StrataError(
      'BadRequest',
      `Refusing to go ahead without confirmation ("${question}"): stdin is not a terminal. Review what is shown above and re-run with --yes.`,
      { reason: 'ConfirmationRequired' },
    );
  }
  // Loaded here: only a command that asks needs readline.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
