/** The names `strata up --demo` creates; apart from demo.ts so `strata up`'s help needs no store to name them. */

/** The demo profile's name. */
export const DEMO_PROFILE = 'hello-universe-aws';
/** The demo cluster's name. */
export const DEMO_CLUSTER = 'cluster-update-deletion';
