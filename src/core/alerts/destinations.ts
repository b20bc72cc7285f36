/**
 * The real destinations for alert rules (src/notify/destinations.ts) as the
 * alerting core takes them: a rule's destinations are named (their label,
 * the key of pending deliveries) before any secret is read; the secret is
 * read on the first send, and a secret that cannot be read is a failed
 * delivery that says which reference, never its value.
 */
import type { Destination } from "../../notify/destination.js";
import { type ActionConfig, destinationFor, labelOf, parseAction } from "../../notify/destinations.js";
import type { AlertRule, DestinationFactory, ReadSecret } from "./config.js";

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

/** A rule's destinations from a factory, secrets read through `readSecret`. */
export function destinationsWith(factory: DestinationFactory, readSecret: ReadSecret): (rule: Pick<AlertRule, "actions">) => Destination[] {
  return (rule) => rule.actions.map((a) => factory.destinationFor(a.parsed, readSecret));
}
