import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Test-only workflow interceptor: child starts that take seconds to be issued and to be confirmed,
 * as on a busy server, so a child can finish before its start is confirmed to the parent.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async startChildWorkflowExecution(input, next) {
        await sleep(1500);
        const [started, completed] = await next(input);
        const slowlyConfirmed = started.then(async (runId) => {
          await sleep(4000);
          return runId;
        });
        return [slowlyConfirmed, completed];
      },
    },
  ],
});
