/**
 * Where `dm alerts` and dm serve's alerts job get their destinations: the
 * destinations module's `parseAction` and `destinationFor`
 * (src/notify/destinations.ts, built separately). Until it is wired in, a
 * stand-in checks that an action names a known type and delivers nothing
 * (each delivery is recorded failed, saying so). Tests swap in a fake with
 * setDestinationFactory.
 */
import type { DestinationFactory } from "../../core/alerts/config.js";
import type { Destination } from "../../notify/destination.js";
import { InputError } from "../../shared/errors.js";

const TYPES = ["slack", "webhook", "gelf"] as const;

/** The stand-in: checks the type only; its destinations refuse to deliver. */
export const STAND_IN_FACTORY: DestinationFactory = {
  parseAction(raw, where) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof raw !== "object" || raw === null || !TYPES.includes(type as (typeof TYPES)[number])) {
      throw new InputError(`${where}.type: expected one of ${TYPES.join(", ")}`, { details: ["Actions are described in docs/alerts.md."] });
    }
    return raw;
  },
  destinationFor(action): Destination {
    const type = (action as { type: (typeof TYPES)[number] }).type;
    return {
      type,
      label: type,
      send: async () => ({ ok: false, retryable: false, error: `the ${type} destination is not part of this build yet` }),
    };
  },
};

let current: DestinationFactory | undefined;

/** The factory in use. */
export function destinationFactory(): DestinationFactory {
  return current ?? STAND_IN_FACTORY;
}

/** Replace the factory (tests; undefined restores the default). */
export function setDestinationFactory(factory: DestinationFactory | undefined): void {
  current = factory;
}
