namespace Ddnn.Training.Reporting;

/// <summary>The chosen output folder already holds files and replacing them was not allowed.</summary>
public sealed class ResultsFolderExistsException(string folder)
    : IOException($"Output folder '{folder}' already exists and is not empty; pass --force to replace its results " +
                  "study by study, or choose another --out.")
{
    /// <summary>Full path of the folder that was refused.</summary>
    public string Folder { get; } = folder;
}
