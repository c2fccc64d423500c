// Decoding the rich error model (google.rpc.Status) that neo-bridge sends
// with every failure: the status travels in the `grpc-status-details-bin`
// trailer, and its details are Any messages, one of them a google.rpc.ErrorInfo.
import type { ServiceError } from "@grpc/grpc-js";
import { ErrorInfo } from "../gen/google/rpc/error_details";
import { Status as RpcStatus } from "../gen/google/rpc/status";
import { codeName, isServiceError } from "./rpc";

const STATUS_DETAILS_KEY = "grpc-status-details-bin";
const ERROR_INFO_TYPE = "google.rpc.ErrorInfo";

/** The google.rpc.Status in a failed call's trailers, if the server sent one. */
export function richStatus(error: ServiceError): RpcStatus | undefined {
  // grpc-js hands `-bin` metadata values over already base64-decoded.
  const [details] = error.metadata.get(STATUS_DETAILS_KEY);
  return Buffer.isBuffer(details) ? RpcStatus.decode(details) : undefined;
}

/** The google.rpc.ErrorInfo among a status's details, if there is one. */
export function errorInfo(status: RpcStatus): ErrorInfo | undefined {
  // Type URLs look like "type.googleapis.com/google.rpc.ErrorInfo".
  const any = status.details.find((detail) =>
    detail.typeUrl.endsWith(`/${ERROR_INFO_TYPE}`),
  );
  return any && ErrorInfo.decode(any.value);
}

/** A one-line description of any error, with the ErrorInfo of a gRPC one. */
export function describeError(error: unknown): string {
  if (!isServiceError(error)) {
    return error instanceof Error ? error.message : String(error);
  }
  const rpcStatus = richStatus(error);
  const info = rpcStatus && errorInfo(rpcStatus);
  const reason = info ? ` (reason=${info.reason} domain=${info.domain})` : "";
  return `${codeName(error.code)}${reason}: ${error.details}`;
}
