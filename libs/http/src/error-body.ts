import { STATUS_CODES } from 'node:http';

/** The one error shape of the admin API. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
}

export function errorBody(statusCode: number, message: string, requestId: string): ApiErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, requestId };
}
