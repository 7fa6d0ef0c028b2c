namespace Kernel.Bench.Ring;

/// <summary>
/// A fixed set of threads (each optionally pinned to a CPU) that run one piece of work per
/// <see cref="Run"/> and then wait for the next: threads are started once, so a measured run
/// creates nothing and allocates nothing of its own.
/// </summary>
internal sealed class WorkerGang : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _go;
    private readonly CountdownEvent _done;
    private readonly Action<int> _work;
    private volatile bool _stopping;

    public WorkerGang(int count, Func<int, int?> cpuOf, Action<int> work)
    {
        _work = work;
        _go = new SemaphoreSlim[count];
        _done = new CountdownEvent(count);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _go[i] = new SemaphoreSlim(0);
            var index = i;
            var cpu = cpuOf(i);
            _threads[i] = new Thread(() => Loop(index, cpu)) { IsBackground = true, Name = $"bench-worker-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Starts every thread's work and blocks until all have finished it.</summary>
    public void Run()
    {
        _done.Reset();
        foreach (var go in _go)
            go.Release();
        _done.Wait();
    }

    /// <summary>Starts every thread's work without waiting (pair with <see cref="Join"/>).</summary>
    public void Start()
    {
        _done.Reset();
        foreach (var go in _go)
            go.Release();
    }

    /// <summary>Waits for the work started by <see cref="Start"/>.</summary>
    public void Join() => _done.Wait();

    private void Loop(int index, int? cpu)
    {
        CpuAffinity.PinCurrentThread(cpu);
        while (true)
        {
            _go[index].Wait();
            if (_stopping)
                return;
            _work(index);
            _done.Signal();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var go in _go)
            go.Release();
        foreach (var t in _threads)
            t.Join();
        foreach (var go in _go)
            go.Dispose();
        _done.Dispose();
    }
}
