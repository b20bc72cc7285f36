/**
 * Where `dm alerts` and dm serve's alerts job get their destinations: the
 * real ones (core/alerts/destinations.ts). Tests swap in a fake with
 * setDestinationFactory.
 */
import type { DestinationFactory } from "../../core/alerts/config.js";
import { DESTINATIONS } from "../../core/alerts/destinations.js";

let current: DestinationFactory | undefined;

/** The factory in use. */
export function destinationFactory(): DestinationFactory {
  return current ?? (DESTINATIONS as DestinationFactory);
}

/** Replace the factory (tests; undefined restores the default). */
export function setDestinationFactory(factory: DestinationFactory | undefined): void {
  current = factory;
}
