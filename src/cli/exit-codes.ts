/**
 * Exit codes scripts can rely on. Configuration problems (fix a setting) are told apart from
 * input problems (fix the files), analysis failures (Gemini) and write failures (the disk).
 */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  configuration: 3,
  input: 4,
  analysisFailed: 5,
  writeFailed: 6,
  stoppedEarly: 7,
  interrupted: 130,
} as const;

export const exitCodeHelp = `Exit codes:
  0  every video succeeded or was skipped as up to date
  1  the Temporal server is busy or failing (try again)
  2  wrong command-line usage
  3  configuration problem (API key, Temporal address, namespace, TLS, permission, search attributes,
     template, model)
  4  input problem (missing path, empty folder, not a video, unknown batch or schedule)
  5  some videos failed analysis (see the summary for reasons)
  6  some outputs could not be written
  7  the batch stopped early (budget reached or cancelled)`;

/** An error the CLI reports as a message (no stack trace) with a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
