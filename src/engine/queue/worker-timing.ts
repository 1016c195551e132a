/**
 * How fast a dead worker's job comes back: BullMQ locks a running job for lockDuration
 * and the worker renews the lock every lockDuration/2; every stalledInterval, live
 * workers move jobs whose lock lapsed back to the queue. So a killed worker's job is
 * retried after about lockDuration + stalledInterval. Shorter means faster recovery but
 * more Redis traffic, and a worker whose event loop stalls longer than lockDuration
 * (swapping, a paused VM) has its job run twice (harmless: the audit keeps one result).
 */
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 15_000;
