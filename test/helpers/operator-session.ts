// An operator of the console, added to the park's operators file and signed in over the HTTP API
// the way the console page signs in (a session cookie), for API tests that act as that operator.
import { expect } from 'vitest';
import { addOperator } from '../../shared/operators.ts';
import { TEST_SCRYPT, type TestPark } from '../../testkit/park.ts';
import { httpClient, type HttpClient } from './http-client.ts';

/** Adds the operator `name` and returns a client signed in as them (the sign-in must answer 200). */
export async function signedInOperator(park: TestPark, name: string, password = 'a long enough password'): Promise<HttpClient> {
  await addOperator(park.operatorsPath, name, password, TEST_SCRYPT);
  const op = httpClient(park.screenUrl);
  expect((await op.signIn(name, password)).status).toBe(200);
  return op;
}
