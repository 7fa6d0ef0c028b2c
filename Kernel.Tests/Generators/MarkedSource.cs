using Microsoft.CodeAnalysis.Text;

namespace Kernel.Tests.Generators;

/// <summary>Source text with one span marked as <c>[|…|]</c>: the text without the marks, and the span.</summary>
internal readonly record struct MarkedSource(string Text, TextSpan Span)
{
    public static MarkedSource Parse(string marked)
    {
        var start = marked.IndexOf("[|", StringComparison.Ordinal);
        var end = marked.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start) throw new ArgumentException("The source needs one [|…|] mark.", nameof(marked));
        var text = marked.Remove(end, 2).Remove(start, 2);
        return new MarkedSource(text, TextSpan.FromBounds(start, end - 2));
    }
}
