using System.Text;
using Kernel.Formats;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Generators;

/// <summary>
/// The generated JSON-lines reader of <see cref="WideEvent"/> (70 members): it tracks the members read
/// in one mask per 64 members, so a missing member is named whatever its index, and a complete line
/// still reads every member without allocating. Declarations of 64 members or fewer keep one mask
/// and the code they had (the baselines).
/// </summary>
public sealed class WideJsonLinesTests
{
    private const int Members = 70;

    /// <summary>A line with every member <c>mNN</c> set to NN + 1, except <paramref name="missing"/>.</summary>
    private static byte[] Line(params int[] missing)
    {
        var text = new StringBuilder("{");
        for (var i = 0; i < Members; i++)
        {
            if (missing.Contains(i)) continue;
            if (text.Length > 1) text.Append(',');
            text.Append("\"m").Append(i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)).Append("\":").Append(i + 1);
        }
        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    private static long ValueOf(in WideEvent e, int member)
        => (long)typeof(WideEvent).GetField("M" + member.ToString("D2", System.Globalization.CultureInfo.InvariantCulture))!.GetValue(e)!;

    [Fact]
    public void CompleteLine_ReadsEveryMember()
    {
        Assert.True(WideEvent.JsonLines.TryRead(Line(), 1, out var e, out var error), error.ToString());
        for (var i = 0; i < Members; i++) Assert.Equal(i + 1, ValueOf(e, i));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(66)]
    [InlineData(69)]
    public void MissingMember_IsNamedWhateverItsIndex(int missing)
    {
        var name = missing.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(WideEvent.JsonLines.TryRead(Line(missing), 5, out _, out var error));
        Assert.Equal($"line 5: has no property for member 'M{name}' (write 'm{name}')", error.ToString());
    }

    [Fact]
    public void SeveralMissing_NamesTheFirst()
    {
        Assert.False(WideEvent.JsonLines.TryRead(Line(66, 68), 7, out _, out var error));
        Assert.Equal("line 7: has no property for member 'M66' (write 'm66')", error.ToString());
        Assert.False(WideEvent.JsonLines.TryRead(Line(66, 2), 7, out _, out error));
        Assert.Equal("line 7: has no property for member 'M02' (write 'm02')", error.ToString());
    }

    [Fact]
    public void Read_ThrowsNamingLineAndMember()
    {
        var thrown = Assert.Throws<EventFormatException>(() => WideEvent.JsonLines.Read(Line(66), 9));
        Assert.Contains("line 9: has no property for member 'M66' (write 'm66')", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompleteLine_AllocatesNothing()
    {
        var line = Line();
        var sum = 0L;
        void ReadMany()
        {
            for (var i = 0; i < 100; i++)
            {
                WideEvent.JsonLines.TryRead(line, i, out var e, out _);
                sum += e.M66;
            }
        }
        ReadMany();
        Assert.Equal(0, Allocations.SteadyState(ReadMany));
        Assert.True(sum > 0);
    }

    /// <summary>The emitted mask code for three masks (130 members), which <see cref="WideEvent"/> (two masks) does not reach.</summary>
    [Fact]
    public void ThreeMasks_EachMemberSetsItsOwnBit_AndEachMaskIsChecked()
    {
        var members = string.Concat(Enumerable.Range(0, 130).Select(i => $"    public long M{i};\n"));
        var run = GeneratorHarness.RunGenerator("using Kernel;\nnamespace App;\n[StreamEvent]\npublic partial struct Wider\n{\n" + members + "}\n");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilerDiagnostics.IsEmpty, string.Join("\n", run.CompilerDiagnostics));
        var text = run.Generated["App.Wider.JsonLines.g.cs"];
        var start = text.IndexOf("var seen = 0UL;", StringComparison.Ordinal);
        var end = text.IndexOf("return true;", start, StringComparison.Ordinal);
        Assert.Equal(
            """
            var seen = 0UL;
                        var seen1 = 0UL;
                        var seen2 = 0UL;
                        var position = 0;
                        while (reader.TryReadProperty(out var name, out var text, out _))
                        {
                            var member = Csv.Columns.Find(name);
                            if (!Csv.TryParseMember(member, text, ref value, out var reason))
                            {
                                error = global::Kernel.Formats.ColumnSet.Invalid(lineNumber, position, name, text, reason);
                                return false;
                            }
                            if (member >= 0)
                            {
                                if (member < 64) seen |= 1UL << member;
                                else if (member < 128) seen1 |= 1UL << (member - 64);
                                else seen2 |= 1UL << (member - 128);
                            }
                            position++;
                        }
                        if (reader.Failed)
                        {
                            error = reader.Error(lineNumber);
                            return false;
                        }
                        if (seen != ulong.MaxValue)
                        {
                            error = Csv.Columns.Missing(lineNumber, seen);
                            return false;
                        }
                        if (seen1 != ulong.MaxValue)
                        {
                            error = Csv.Columns.MissingMember(lineNumber, 64 + global::System.Numerics.BitOperations.TrailingZeroCount(~seen1));
                            return false;
                        }
                        if (seen2 != 0x3UL)
                        {
                            error = Csv.Columns.MissingMember(lineNumber, 128 + global::System.Numerics.BitOperations.TrailingZeroCount(~seen2));
                            return false;
                        }

            """.ReplaceLineEndings("\n") + "            ",
            text[start..end]);
    }
}
