namespace Kernel.Operators;

/// <summary>
/// Marks an operator that takes another aggregation's rows as upserts (<see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/>):
/// a row replaces the last one of its identity (its key and window start). An upstream checks for it to refuse,
/// at run time, an emission whose identities move (a session that emits revisions), which the generator refuses
/// for the declared emit mode (KRN0028).
/// </summary>
internal interface IUpsertRowInput;
