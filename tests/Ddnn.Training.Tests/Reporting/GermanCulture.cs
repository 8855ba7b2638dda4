using System.Globalization;

namespace Ddnn.Training.Tests.Reporting;

/// <summary>
/// Makes the current thread use German number conventions (decimal comma, '.' grouping) until disposed. The projects
/// build with InvariantGlobalization, where "de-DE" cannot be loaded, so the culture is the invariant one with
/// German separators; for number formatting that is what matters.
/// </summary>
internal sealed class GermanCulture : IDisposable
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public GermanCulture()
    {
        CultureInfo german;
        try
        {
            german = (CultureInfo)CultureInfo.GetCultureInfo("de-DE").Clone();
        }
        catch (CultureNotFoundException)
        {
            german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        }
        german.NumberFormat.NumberDecimalSeparator = ",";
        german.NumberFormat.NumberGroupSeparator = ".";
        german.NumberFormat.PercentDecimalSeparator = ",";
        german.NumberFormat.PercentGroupSeparator = ".";
        german.NumberFormat.CurrencyDecimalSeparator = ",";
        german.NumberFormat.CurrencyGroupSeparator = ".";
        CultureInfo.CurrentCulture = german;
        CultureInfo.CurrentUICulture = german;
        // Guard against a culture that does not actually change formatting, which would make the tests vacuous.
        if (1.5.ToString(CultureInfo.CurrentCulture) != "1,5")
            throw new InvalidOperationException("could not switch to a decimal-comma culture");
    }

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
    }
}
