/** Errors that mean "the caller asked for something wrong": the CLI exits 2, the API answers 4xx. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}
