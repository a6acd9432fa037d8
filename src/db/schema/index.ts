export * from './environments.js';
export * from './decisions.js';
export * from './members.js';
export * from './invitations.js';
export * from './reminders.js';
export * from './audit.js';
export * from './simulated.js';
export * from './console.js';
