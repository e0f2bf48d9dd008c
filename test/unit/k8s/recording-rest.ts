// A RestClient that records requests and answers from a script, for tests of the k8s layer's request shapes.
import type { RestClient, RestRequest, WatchEventLine } from '../../../src/k8s/rest.js';

export class RecordingRest implements RestClient {
  readonly requests: RestRequest[] = [];
  respond: (req: RestRequest) => unknown = (req) => req.body ?? {};

  async request<T>(req: RestRequest): Promise<T> {
    this.requests.push(req);
    return this.respond(req) as T;
  }

  async watch(req: RestRequest, _onEvent: (event: WatchEventLine) => void): Promise<void> {
    this.requests.push(req);
  }
}
