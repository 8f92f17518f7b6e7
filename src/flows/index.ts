// The transaction flows' public surface: register them on a dispatcher, feed them notifications,
// run their background loops. src/runtime wires these together.
export { DEFAULT_TIMING, type FlowDeps, type FlowDepsInput, type FlowTiming, flowDeps } from './context.js';
export { notificationHandler } from './notifications.js';
export { LIMIT_CODES, QUERY_STATE_CODES, REASON_CODES } from './outcome-codes.js';
export { PushDispatcher, pushMessage } from './push.js';
export { Resolver } from './recovery.js';
export { payment, registerFlows } from './register.js';
export { RC } from './response-codes.js';
