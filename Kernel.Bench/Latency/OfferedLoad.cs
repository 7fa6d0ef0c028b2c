namespace Kernel.Bench.Latency;

/// <summary>One offered load of the latency suite.</summary>
/// <param name="Name">The case name in the records (<c>load-1M</c>, …).</param>
/// <param name="EventsPerSecond">The paced rate; 0 for saturation (publish as fast as the ring takes them).</param>
/// <param name="Events">Events per run at scale 1.</param>
public readonly record struct OfferedLoad(string Name, double EventsPerSecond, long Events);
