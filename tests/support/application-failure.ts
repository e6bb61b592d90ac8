import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure an activity (or any call) rejects with; fails the test if it resolves or throws anything else. */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
