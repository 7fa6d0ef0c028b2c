using System.Globalization;

namespace Kernel.Storage.Lsm.Versions;

/// <summary>Names of the files in a store directory.</summary>
internal static class FileNames
{
    public const string Manifest = "MANIFEST";
    public const string ManifestTemp = "MANIFEST.tmp";
    public const string TableExtension = ".sst";
    public const string WalExtension = ".wal";

    public static string Table(string dir, ulong number) => Path.Combine(dir, number.ToString("D6", CultureInfo.InvariantCulture) + TableExtension);

    public static string Wal(string dir, ulong number) => Path.Combine(dir, number.ToString("D6", CultureInfo.InvariantCulture) + WalExtension);

    /// <summary>Parses <c>000123.sst</c> or <c>000123.wal</c>; false for other names.</summary>
    public static bool TryParse(string fileName, string extension, out ulong number)
    {
        number = 0;
        return fileName.EndsWith(extension, StringComparison.Ordinal)
            && ulong.TryParse(fileName.AsSpan(0, fileName.Length - extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }
}
