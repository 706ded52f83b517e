import { createApp } from "./app";
import { worker } from "./worker";

export { AddressLimits } from "../durable-objects/address-limits";
export { Feed } from "../durable-objects/feed";
export { SkuStock } from "../durable-objects/sku-stock";

export default worker(createApp());
