/**
 * Where `dm alerts` and dm serve's alerts job get their destinations: the
 * destinations module (src/notify/destinations.ts). Tests swap in a fake
 * with setDestinationFactory.
 */
import type { DestinationFactory } from "../../core/alerts/config.js";
import type { Destination } from "../../notify/destination.js";
import { type ActionConfig, destinationFor, labelOf, parseAction } from "../../notify/destinations.js";

/**
 * The real destinations. A rule's destinations are named (their label, the
 * key of pending deliveries) before any secret is read; the secret is read
 * on the first send, and a secret that cannot be read is a failed delivery
 * that says which reference, never its value.
 */
export const DESTINATIONS: DestinationFactory<ActionConfig> = {
  parseAction,
  destinationFor(action, readSecret): Destination {
    let ready: Promise<Destination> | undefined;
    return {
      type: action.type,
      label: labelOf(action),
      async send(notification) {
        try {
          ready ??= destinationFor(action, readSecret);
          return await (await ready).send(notification);
        } catch (error) {
          ready = undefined;
          return { ok: false, retryable: false, error: (error as Error).message };
        }
      },
    };
  },
};

let current: DestinationFactory | undefined;

/** The factory in use. */
export function destinationFactory(): DestinationFactory {
  return current ?? (DESTINATIONS as DestinationFactory);
}

/** Replace the factory (tests; undefined restores the default). */
export function setDestinationFactory(factory: DestinationFactory | undefined): void {
  current = factory;
}
