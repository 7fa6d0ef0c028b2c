namespace Kernel.Ring;

/// <summary>An exception thrown by a handler, with the entries it was handling.</summary>
/// <typeparam name="T">The event type.</typeparam>
/// <param name="Exception">What the handler threw.</param>
/// <param name="Handler">The handler that threw.</param>
/// <param name="FirstSequence">The first sequence of the failed batch.</param>
/// <param name="LastSequence">The last sequence of the failed batch.</param>
public readonly record struct HandlerError<T>(Exception Exception, IBatchHandler<T> Handler, long FirstSequence, long LastSequence);
