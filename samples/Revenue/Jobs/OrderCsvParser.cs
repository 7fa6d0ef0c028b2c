using Kernel.Formats;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Reads orders.csv lines with the generated <see cref="Order.Csv"/> codec and adds the sample's
/// own rules: prices and quantities are never negative. Errors name the column and the value;
/// the source adds the file, the line and the byte position.
/// </summary>
public struct OrderCsvParser : IRecordParser<Order>
{
    private CsvColumnMap _map;

    /// <inheritdoc />
    public void ParseHeader(ReadOnlySpan<byte> header)
    {
        _map = Order.Csv.ParseHeader(header);
    }

    /// <inheritdoc />
    public bool TryParse(ReadOnlySpan<byte> record, out Order value, out RecordError error)
    {
        // The source knows the physical line and byte position and adds them to the error.
        if (!Order.Csv.TryRead(record, _map, 0, out value, out var formatError))
        {
            error = new RecordError(formatError.ColumnName, formatError.Value, formatError.Reason);
            return false;
        }
        if (value.Quantity < 0)
        {
            error = new RecordError("quantity", value.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture), "a quantity cannot be negative");
            return false;
        }
        if (value.PriceCents < 0)
        {
            error = new RecordError("price_cents", value.PriceCents.ToString(System.Globalization.CultureInfo.InvariantCulture), "a price cannot be negative");
            return false;
        }
        error = default;
        return true;
    }
}
