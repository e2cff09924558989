/**
 * Calls to web services outside Wharf, for mappers and actions: every call is denied unless
 * the plugin's manifest allows it (`[[outbound.allow]]`) and the operator's deployment does
 * not narrow it away. Secrets never pass through the plugin: a secret header names a secret
 * of the host's configuration, and the host writes its value into the request.
 *
 * Only a mapper or an action may import this module: the other roles' worlds have no
 * outbound calls.
 *
 * @module wharf/outbound
 */

import * as wit from 'wharf:plugin/outbound@0.1.0';
import { PluginError } from './wharf.js';

const utf8Encoder = new TextEncoder();

/**
 * Why a request got no answer. Uncaught, it fails the call with its message, as any
 * {@link PluginError}.
 */
export class OutboundError extends PluginError {
  /**
   * @param {'denied'|'timeout'|'too-large'|'budget-spent'|'failed'} kind What went wrong.
   * @param {string} detail The host's words.
   */
  constructor(kind, detail) {
    super(`outbound request ${kind}: ${detail}`);
    this.name = 'OutboundError';
    /** `denied`, `timeout`, `too-large`, `budget-spent` or `failed`. */
    this.kind = kind;
  }
}

/** The answer to a request, after any redirects. */
export class Response {
  constructor(answer) {
    /** The HTTP status (`200`). */
    this.status = answer.status;
    /** The answer's headers, as `[name, value]` pairs. @type {Array<[string, string]>} */
    this.headers = answer.headers.map(({ name, value }) => [name, value]);
    /** The answer's body. @type {Uint8Array} */
    this.body = answer.body;
  }

  /**
   * The first header named `name` (any case), or `undefined`.
   * @param {string} name
   */
  header(name) {
    const wanted = name.toLowerCase();
    return this.headers.find(([have]) => have.toLowerCase() === wanted)?.[1];
  }

  /** The body as UTF-8 text. */
  text() {
    return new TextDecoder('utf-8').decode(this.body);
  }

  /** The body parsed as JSON; a {@link PluginError} when it is not JSON. */
  json() {
    try {
      return JSON.parse(this.text());
    } catch (error) {
      throw new PluginError(`the answer (status ${this.status}) is not JSON: ${error.message}`);
    }
  }
}

/**
 * Sends a request and waits for its answer, following redirects that stay allowed. An answer
 * with any status, 4xx and 5xx included, is returned; an {@link OutboundError} says why there
 * was none.
 * @param {object} request
 * @param {string} request.url The absolute `https` URL.
 * @param {string} [request.method] Upper case; default `GET`.
 * @param {Object<string, string>|Array<[string, string]>} [request.headers]
 * @param {Array<{name: string, secret: string, prefix?: string}>} [request.secretHeaders]
 *   Headers whose value is the host's secret `secret` (after `prefix`, e.g. `Bearer `).
 * @param {Uint8Array|string|object} [request.body] Bytes, text (UTF-8), or an object sent as
 *   JSON (with `Content-Type: application/json` unless a header says otherwise).
 * @returns {Response}
 */
export function send({ url, method = 'GET', headers = [], secretHeaders = [], body }) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const list = pairs.map(([name, value]) => ({ name: String(name), value: String(value) }));
  let bytes = new Uint8Array(0);
  if (body instanceof Uint8Array) {
    bytes = body;
  } else if (typeof body === 'string') {
    bytes = utf8Encoder.encode(body);
  } else if (body !== undefined && body !== null) {
    bytes = utf8Encoder.encode(JSON.stringify(body));
    if (!list.some(({ name }) => name.toLowerCase() === 'content-type')) {
      list.push({ name: 'Content-Type', value: 'application/json' });
    }
  }
  const secrets = secretHeaders.map(({ name, secret, prefix = '' }) => ({ name, secret, prefix }));
  let answer;
  try {
    answer = wit.send({ method: String(method), url: String(url), headers: list, secretHeaders: secrets, body: bytes });
  } catch (error) {
    const payload = error?.payload;
    if (payload && typeof payload.tag === 'string') throw new OutboundError(payload.tag, String(payload.val));
    throw error;
  }
  return new Response(answer);
}
