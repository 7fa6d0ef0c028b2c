using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class DependencyTests
{
    [Fact]
    public async Task HandlerAfterOthers_SeesOnlyWhatTheyFinished_AndMulticastSeesEverything()
    {
        const int Total = 50_000;
        var ring = new RingBuffer<TestEvent>(256);
        var journal = new RecordingHandler(Total);
        var index = new RecordingHandler(Total);
        var operatorHandler = new RecordingHandler(Total);
        var pipeline = new RingPipeline<TestEvent>(ring);
        var journalProcessor = pipeline.AddHandler(journal);
        var indexProcessor = pipeline.AddHandler(index);
        string? violation = null;
        operatorHandler.OnBatchStart = (first, length) =>
        {
            var last = first + length - 1;
            if (journalProcessor.ProcessedSequence < last || indexProcessor.ProcessedSequence < last)
                violation ??= $"operator got up to {last} while journal was at {journalProcessor.ProcessedSequence} and index at {indexProcessor.ProcessedSequence}";
        };
        pipeline.AddHandler(operatorHandler, journalProcessor, indexProcessor);
        pipeline.Start();

        for (var i = 0; i < Total; i++)
            ring.Publish(new TestEvent(0, i));
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Null(violation);
        foreach (var h in new[] { journal, index, operatorHandler })
        {
            Assert.Equal(Total, h.Count);
            for (var i = 0; i < Total; i++)
                Assert.Equal(i, h.Entries[i].Event.Number);
        }
    }

    [Fact]
    public void AddHandler_AfterProcessorOfAnotherPipeline_Throws()
    {
        var other = new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(8));
        var foreign = other.AddHandler(new RecordingHandler(0));
        var pipeline = new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(8));

        var ex = Assert.Throws<ArgumentException>(() => pipeline.AddHandler(new RecordingHandler(0), foreign));
        Assert.Equal("after", ex.ParamName);
    }
}
