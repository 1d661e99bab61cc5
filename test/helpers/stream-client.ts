/** An OpenAI-compatible streaming client for the tests: 10 new tokens, 2 s timeouts, 2 retries unless `extra` says otherwise. */
import { OpenAIStreamClient } from '../../src/public/server.js';

export function testClient(endpoint: string, extra: Partial<ConstructorParameters<typeof OpenAIStreamClient>[0]> = {}): OpenAIStreamClient {
  return new OpenAIStreamClient({
    endpoint,
    model: 'fake',
    api: 'chat',
    maxNewTokens: 10,
    minNewTokens: 10,
    ignoreEos: true,
    temperature: 0,
    connectTimeoutMs: 2000,
    readTimeoutMs: 2000,
    retries: 2,
    apiKey: null,
    ...extra,
  });
}
