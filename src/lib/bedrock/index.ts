export * from './aws-call.js';
export * from './clients.js';
export * from './converse.js';
export * from './knowledge-base.js';
export * from './resilience.js';
