import { InvalidRequestError } from '../domain/failures';
/** A mistake the user can fix (wrong name, port in use, cluster absent); printed as one line, exit 2. */
export class DemoError extends InvalidRequestError {
  override name = 'DemoError';
}
