using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ddnn.Core;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Several deployments on one broker, each with its own users, passwords and ACL (what <c>ddnn bench serve</c> loads
/// into one broker). A deployment's tier user <c>dev2</c> becomes the broker user <c>&lt;deployment&gt;-dev2</c>
/// (<see cref="UserOf"/>), whose rules are those of <c>dev2</c> in that deployment's <see cref="AccessControlList"/>, so
/// a device of one deployment can neither publish nor read in another. The mosquitto ACL file and the embedded
/// broker's checks are both made from here.
/// </summary>
public sealed class SharedBrokerAccess
{
    private const int PasswordBytes = 24;
    private readonly Dictionary<string, (AccessControlList Acl, string User)> _users = new(StringComparer.Ordinal);

    /// <summary>Access for every deployment of <paramref name="acls"/> (their deployment names must differ).</summary>
    public SharedBrokerAccess(IEnumerable<AccessControlList> acls)
    {
        ArgumentNullException.ThrowIfNull(acls);
        var deployments = new List<AccessControlList>();
        foreach (var acl in acls)
        {
            if (deployments.Any(d => d.Topics.Deployment == acl.Topics.Deployment))
                throw new ArgumentException($"deployment '{acl.Topics.Deployment}' is given twice", nameof(acls));
            deployments.Add(acl);
            foreach (var user in acl.Users) _users.Add(UserOf(acl.Topics.Deployment, user), (acl, user));
        }
        if (deployments.Count == 0) throw new ArgumentException("no deployment", nameof(acls));
        Deployments = deployments;
    }

    /// <summary>The deployments, in the order given.</summary>
    public IReadOnlyList<AccessControlList> Deployments { get; }

    /// <summary>Every broker user.</summary>
    public IEnumerable<string> Users => _users.Keys;

    /// <summary>The broker user of tier user <paramref name="tierUser"/> (e.g. <c>dev2</c>, <c>local</c>) of deployment <paramref name="deployment"/>.</summary>
    public static string UserOf(string deployment, string tierUser) => deployment + "-" + tierUser;

    public bool MayPublish(string? user, string topic) => user is not null && _users.TryGetValue(user, out var u) && u.Acl.MayPublish(u.User, topic);

    public bool MayRead(string? user, string topic) => user is not null && _users.TryGetValue(user, out var u) && u.Acl.MayRead(u.User, topic);

    public bool MaySubscribe(string? user, string filter) => user is not null && _users.TryGetValue(user, out var u) && u.Acl.MaySubscribe(u.User, filter);

    /// <summary>The mosquitto 2 <c>acl_file</c>: one <c>user</c> block per broker user with its deployment's rules.</summary>
    public string ToMosquittoAcl()
    {
        var text = new StringBuilder("# ACL of deployments sharing one broker, written by ddnn bench serve: user <deployment>-<tier>, the rules of <tier> in <deployment>.\n");
        foreach (var (user, (acl, tierUser)) in _users)
        {
            text.Append('\n').Append("user ").Append(user).Append('\n');
            foreach (var rule in acl.RulesOf(tierUser))
                text.Append("topic ").Append(rule.Access == TopicAccess.Read ? "read " : "write ").Append(rule.Filter).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Writes a fresh password per broker user (<c>&lt;user&gt;.password</c>, mode 0600, the file
    /// <see cref="BrokerCredentials.PasswordFileOf"/> names), <c>mosquitto.passwd</c> and <c>mosquitto.acl</c> into
    /// <paramref name="directory"/>; returns the password hashes the embedded broker checks.
    /// </summary>
    public IReadOnlyDictionary<string, string> WriteCredentials(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
        var mode = OperatingSystem.IsWindows() ? (UnixFileMode?)null : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        foreach (var user in _users.Keys)
        {
            var password = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(PasswordBytes));
            passwords[user] = password;
            AtomicFile.Write(BrokerCredentials.PasswordFileOf(directory, user), s => s.Write(Encoding.ASCII.GetBytes(password + "\n")), mode);
        }
        var file = MosquittoPasswordFile.Write(passwords);
        AtomicFile.Write(Path.Combine(directory, BrokerCredentials.PasswordFileName), s => s.Write(Encoding.ASCII.GetBytes(file)), mode);
        AtomicFile.WriteAllText(Path.Combine(directory, BrokerCredentials.AclFileName), ToMosquittoAcl());
        return MosquittoPasswordFile.Parse(file);
    }

    /// <summary>What the embedded broker enforces for these deployments, with <paramref name="passwordHashes"/> (user → <c>$7$</c> hash).</summary>
    public BrokerAuthorization Authorization(IReadOnlyDictionary<string, string> passwordHashes) =>
        new(passwordHashes, Deployments[0]) { Shared = this };

    /// <summary>A one-line description for logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Deployments.Count} deployments, {_users.Count} users");
}
