// The workflows a worker registers: this module exports workflow functions and nothing else.
export { BatchWorkflow } from './batch-workflow';
export { VideoWorkflow } from './video-workflow';
export { KeyPoolWorkflow } from './key-pool-workflow';
export { EconomyCollectorWorkflow } from './economy/collector-workflow';
