export { BatchWorkflow, videoWorkflowId } from './batch-workflow';
export { VideoWorkflow } from './video-workflow';
export { KeyPoolWorkflow } from './key-pool-workflow';
