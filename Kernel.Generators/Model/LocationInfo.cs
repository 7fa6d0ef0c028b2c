using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Kernel.Generators.Model;

/// <summary>A source location as values (a <see cref="Location"/> holds its syntax tree alive).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location)
    {
        if (location is null || !location.IsInSource) return null;
        return new LocationInfo(location.SourceTree!.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
