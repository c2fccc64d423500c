// Small promise helpers around grpc-js, which is callback based.
import {
  Metadata,
  status,
  type CallOptions,
  type ClientUnaryCall,
  type ServiceError,
} from "@grpc/grpc-js";

/** A grpc-js unary client method, in its (request, metadata, options, callback) form. */
export type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

/** Runs a unary call; rejects with the call's ServiceError when it fails. */
export function unaryCall<Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** Call options whose deadline is `ms` milliseconds from now. */
export function deadlineIn(ms: number): Partial<CallOptions> {
  return { deadline: Date.now() + ms };
}

/** Whether `error` is what grpc-js rejects or emits when a call fails. */
export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === "number" &&
    (error as Partial<ServiceError>).metadata instanceof Metadata
  );
}

/** The canonical name of a gRPC status code, e.g. "NOT_FOUND". */
export function codeName(code: status): string {
  return status[code] ?? `CODE_${code}`;
}
