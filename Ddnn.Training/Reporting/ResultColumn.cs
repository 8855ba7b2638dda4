using System.Globalization;

namespace Ddnn.Training.Reporting;

/// <summary>One typed column of a <see cref="ResultTable"/>: header, kind, display format, unit and alignment.</summary>
public sealed class ResultColumn
{
    private ResultColumn(string header, ColumnKind kind, string? format, string? unit, ColumnAlignment alignment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(header);
        if (unit is not null && unit.Trim().Length == 0)
            throw new ArgumentException("a column unit, when given, must not be blank", nameof(unit));
        if (format is not null)
        {
            try { _ = 1.5.ToString(format, CultureInfo.InvariantCulture); }
            catch (FormatException e)
            {
                throw new ArgumentException($"column '{header}': '{format}' is not a valid numeric format", nameof(format), e);
            }
        }
        Header = header;
        Kind = kind;
        Format = format;
        Unit = unit;
        Alignment = alignment;
    }

    /// <summary>A text column, left-aligned unless told otherwise.</summary>
    public static ResultColumn Text(string header, ColumnAlignment alignment = ColumnAlignment.Left) =>
        new(header, ColumnKind.Text, null, null, alignment);

    /// <summary>A numeric column shown with <paramref name="format"/> (a .NET numeric format string, e.g. "F2") and right-aligned.</summary>
    /// <param name="header">Column name, without the unit; must not be blank.</param>
    /// <param name="format">Display format for console and Markdown; CSV always keeps full precision. Null shows the shortest round-trip form.</param>
    /// <param name="unit">Shown in the header as "Header (unit)".</param>
    /// <param name="alignment">Cell placement in console and Markdown output.</param>
    public static ResultColumn Number(string header, string? format = null, string? unit = null,
        ColumnAlignment alignment = ColumnAlignment.Right) =>
        new(header, ColumnKind.Number, format, unit, alignment);

    /// <summary>Column name without the unit; <see cref="Label"/> adds the unit to it.</summary>
    public string Header { get; }
    /// <summary>Whether the cells are strings or numbers; rows are checked against it.</summary>
    public ColumnKind Kind { get; }
    /// <summary>The .NET numeric format for console and Markdown cells; null for text columns, and for numbers shown in their shortest round-trip form.</summary>
    public string? Format { get; }
    /// <summary>Unit of the values (e.g. "bytes", "%"), shown in the label; null for none.</summary>
    public string? Unit { get; }
    /// <summary>Cell placement in console and Markdown output.</summary>
    public ColumnAlignment Alignment { get; }

    /// <summary>The header as printed: "Header (unit)", or just the header when there is no unit.</summary>
    public string Label => Unit is null ? Header : $"{Header} ({Unit})";

    /// <summary>Whether <paramref name="value"/> may be stored in this column (null means a missing value and always fits).</summary>
    internal bool Accepts(object? value) => value is null || (Kind == ColumnKind.Text ? value is string : IsNumber(value));

    /// <summary>The cell as shown in console and Markdown output: formatted with <see cref="Format"/>, invariant culture.</summary>
    internal string Display(object? value) => value switch
    {
        null => ResultTable.MissingDisplay,
        string s => s,
        IFormattable f => f.ToString(Format, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"column '{Header}' holds an unsupported value type {value.GetType()}"),
    };

    /// <summary>The cell as written to CSV: numbers at full round-trip precision, invariant culture.</summary>
    internal static string Raw(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"unsupported value type {value.GetType()}"),
    };

    private static bool IsNumber(object value) => value is double or float or decimal or int or long or short or sbyte
        or uint or ulong or ushort or byte;
}
