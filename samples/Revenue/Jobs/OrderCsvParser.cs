using System.Globalization;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Reads orders.csv lines with the generated <see cref="Order.Csv.Parser"/> and adds the sample's
/// own rules: prices and quantities are never negative. Errors name the column and the value; the
/// source adds the file, the line and the byte position.
/// </summary>
public struct OrderCsvParser : IRecordParser<Order>
{
    private Order.Csv.Parser _csv;

    /// <inheritdoc />
    public void ParseHeader(ReadOnlySpan<byte> header) => _csv.ParseHeader(header);

    /// <inheritdoc />
    public bool TryGetHeaderError(out RecordError error) => _csv.TryGetHeaderError(out error);

    /// <inheritdoc />
    public bool TryParse(ReadOnlySpan<byte> record, out Order value, out RecordError error)
    {
        if (!_csv.TryParse(record, out value, out error)) return false;
        if (value.Quantity < 0)
        {
            error = new RecordError("quantity", value.Quantity.ToString(CultureInfo.InvariantCulture), "a quantity cannot be negative");
            return false;
        }
        if (value.PriceCents < 0)
        {
            error = new RecordError("price_cents", value.PriceCents.ToString(CultureInfo.InvariantCulture), "a price cannot be negative");
            return false;
        }
        return true;
    }
}
