/**
 * The one handle on VS Code's webview API. acquireVsCodeApi() may be called only once per
 * page load (a second call throws), so every module goes through this wrapper, which also
 * types what may be posted and stored.
 */
import type { ReportViewState, WebviewToHostMessage } from '../../src/extension/report/messages';

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

export interface ReportHost {
  post(message: WebviewToHostMessage): void;
  /** Whatever was stored last, unchecked: it may predate this version of the webview. */
  savedState(): unknown;
  saveState(state: ReportViewState): void;
}

let host: ReportHost | undefined;

export function reportHost(): ReportHost {
  if (!host) {
    const api = acquireVsCodeApi();
    host = {
      post: (message) => api.postMessage(message),
      savedState: () => api.getState(),
      saveState: (state) => {
        api.setState(state);
      },
    };
  }
  return host;
}
