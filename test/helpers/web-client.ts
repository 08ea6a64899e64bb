/**
 * A client of the HTTP JSON API as a browser is one: it keeps the cookies the server sets
 * (session, CSRF secret) and sends the CSRF token on every call that changes something.
 */
export interface WebAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** the raw bytes, for downloads */
  bytes: Buffer;
}

export class WebClient {
  private cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    readonly base: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  static forPort(port: number, extraHeaders?: Record<string, string>): WebClient {
    return new WebClient(`http://127.0.0.1:${port}`, extraHeaders);
  }

  /** logs in; throws when the server refuses */
  static async login(port: number, address: string, password: string): Promise<WebClient> {
    const client = WebClient.forPort(port);
    const answer = await client.login(address, password);
    if (answer.status !== 200) throw new Error(`login of ${address} refused: ${answer.status} ${JSON.stringify(answer.body)}`);
    return client;
  }

  async login(address: string, password: string): Promise<WebAnswer<{ csrf?: string; error?: { code: string; message: string } }>> {
    const answer = await this.call<{ csrf?: string }>('POST', '/api/session', { address, password });
    if (answer.status === 200) this.csrf = answer.body.csrf;
    return answer;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
  /** the Set-Cookie lines of the last answer that set any */
  setCookieLines: string[] = [];

  /** the same cookies and token in another client (a second tab, or an attacker who stole them) */
  copy(): WebClient {
    const other = new WebClient(this.base, this.extraHeaders);
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
    other.csrf = this.csrf;
    return other;
  }

  get<T = any>(path: string): Promise<WebAnswer<T>> {
    return this.call<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown): Promise<WebAnswer<T>> {
    return this.call<T>('POST', path, body);
  }
  put<T = any>(path: string, body?: unknown): Promise<WebAnswer<T>> {
    return this.call<T>('PUT', path, body);
  }
  delete<T = any>(path: string): Promise<WebAnswer<T>> {
    return this.call<T>('DELETE', path);
  }

  async call<T>(method: string, path: string, body?: unknown, options: { csrf?: string | null } = {}): Promise<WebAnswer<T>> {
    const headers: Record<string, string> = { ...this.extraHeaders };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    if (method !== 'GET' && token) headers['x-csrf-token'] = token;
    const response = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    const set = response.headers.getSetCookie();
    if (set.length) this.setCookieLines = set;
    for (const line of set) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('application/json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : bytes.toString('utf8');
    return { status: response.status, body: parsed as T, headers: response.headers, bytes };
  }
}
