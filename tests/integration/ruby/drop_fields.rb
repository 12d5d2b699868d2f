# Delete the issue custom fields, versions and users (by login) whose names start with
# ARGV[0].
prefix = ARGV[0]
IssueCustomField.where('name LIKE ?', "#{prefix}%").find_each(&:destroy)
Version.where('name LIKE ?', "#{prefix}%").find_each(&:destroy)
User.where('login LIKE ?', "#{prefix.parameterize}%").find_each(&:destroy)
