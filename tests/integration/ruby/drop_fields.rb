# Delete the issue custom fields and versions whose names start with ARGV[0].
prefix = ARGV[0]
IssueCustomField.where('name LIKE ?', "#{prefix}%").find_each(&:destroy)
Version.where('name LIKE ?', "#{prefix}%").find_each(&:destroy)
