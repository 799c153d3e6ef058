/** The console's view of the REST contract: src/wire holds it for the console and the CLI alike. */

export * from '../../../wire/paths.ts';
export type * from '../../../wire/requests.ts';
export * from '../../../wire/types.ts';
