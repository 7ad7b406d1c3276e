/** A mistake the user can fix (wrong name, port in use, cluster absent); printed as one line, exit 2. */
export class DemoError extends Error {
  override name = 'DemoError';
}
