/**
 * The shape of the contract's implementation: one handler per request, typed by its name. A handler
 * gets its input already parsed by the request's schema and must answer with the request's result
 * type, so a handler answering the wrong shape does not compile.
 */
import type { RequestInput, RequestName, RequestResults } from '../../../preload/contract'
import type { StudioContext } from '../context'

export type Handler<N extends RequestName> = (input: RequestInput<N>, ctx: StudioContext) => RequestResults[N] | Promise<RequestResults[N]>

/** Every request with its handler: the assembled table has this type, so a request left out does not compile. */
export type HandlerTable = { [N in RequestName]: Handler<N> }

/**
 * The handlers of one namespace file. `satisfies HandlerGroup` types each handler's input from its
 * key and refuses a key that is not a request.
 */
export type HandlerGroup = Partial<HandlerTable>
